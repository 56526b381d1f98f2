package io.tributary.tools.router;

import io.tributary.tools.train.QuestionAnswer;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.IntPredicate;

/**
 * The evaluation's table: each model's exact match overall and per domain, and for an expert alone its exact match
 * on the samples the router sends to it ("in cluster") and on the others.
 */
final class EvaluationTable {

    private final List<QuestionAnswer> samples;
    private final int[] clusters;
    private final List<Row> rows;
    private final List<String> domains;

    /** @param clusters each sample's cluster (its hard-routed expert); null when the mixture has no centroids */
    EvaluationTable(List<QuestionAnswer> samples, int[] clusters, List<Row> rows) {
        this.samples = samples;
        this.clusters = clusters;
        this.rows = rows;
        this.domains = samples.stream()
                .map(QuestionAnswer::domain)
                .filter(domain -> !domain.isEmpty())
                .distinct()
                .toList();
    }

    /** @param expert the expert's index when the row is one expert alone, else -1 */
    record Row(String name, int expert, AnswerRun.Answers answers) {
        static Row of(String name, AnswerRun.Answers answers) {
            return new Row(name, -1, answers);
        }

        static Row alone(String name, int expert, AnswerRun.Answers answers) {
            return new Row(name + " alone", expert, answers);
        }
    }

    /** Exact match (%) of a row over the samples {@code include} accepts; NaN when it accepts none. */
    private static double percent(Row row, IntPredicate include, int count) {
        int total = 0;
        int right = 0;
        for (int i = 0; i < count; i++) {
            if (include.test(i)) {
                total++;
                right += row.answers().correct()[i] ? 1 : 0;
            }
        }
        return total == 0 ? Double.NaN : 100.0 * right / total;
    }

    void print(PrintStream out) {
        int n = samples.size();
        StringBuilder header = new StringBuilder(
                String.format(Locale.ROOT, "%-26s %8s %10s %10s", "model", "exact", "in cluster", "outside"));
        domains.forEach(domain -> header.append(String.format(Locale.ROOT, " %8s", domain)));
        out.println(header);
        for (Row row : rows) {
            StringBuilder line = new StringBuilder(
                    String.format(Locale.ROOT, "%-26s %7.1f%%", row.name(), percent(row, i -> true, n)));
            if (row.expert() >= 0 && clusters != null) {
                line.append(String.format(
                        Locale.ROOT,
                        " %9.1f%% %9.1f%%",
                        percent(row, i -> clusters[i] == row.expert(), n),
                        percent(row, i -> clusters[i] != row.expert(), n)));
            } else {
                line.append(String.format(Locale.ROOT, " %10s %10s", "", ""));
            }
            for (String domain : domains) {
                line.append(String.format(
                        Locale.ROOT,
                        " %7.1f%%",
                        percent(row, i -> samples.get(i).domain().equals(domain), n)));
            }
            out.println(line);
        }
        if (clusters != null) {
            out.println();
            out.println("clusters (the hard router's choice): " + clusterSizes());
        }
    }

    private String clusterSizes() {
        StringBuilder sizes = new StringBuilder();
        int k = Arrays.stream(clusters).max().orElse(-1) + 1;
        for (int cluster = 0; cluster < k; cluster++) {
            StringBuilder byDomain = new StringBuilder();
            for (String domain : domains) {
                long count = 0;
                for (int i = 0; i < clusters.length; i++) {
                    count += clusters[i] == cluster && samples.get(i).domain().equals(domain) ? 1 : 0;
                }
                if (count > 0) {
                    byDomain.append(byDomain.isEmpty() ? "" : ", ")
                            .append(domain)
                            .append(' ')
                            .append(count);
                }
            }
            sizes.append(cluster == 0 ? "" : "; ")
                    .append("expert ")
                    .append(cluster)
                    .append(": ")
                    .append(byDomain);
        }
        return sizes.toString();
    }
}
