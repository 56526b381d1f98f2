package io.tributary.tools.bench;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A count on a benchmark's command line (tokens, runs, clients, a batch size): below one it is a mistake, refused
 * while the arguments are parsed, before anything is written or measured.
 */
final class PositiveInteger implements ITypeConverter<Integer> {

    @Override
    public Integer convert(String value) {
        try {
            int count = Integer.parseInt(value.trim());
            if (count >= 1) {
                return count;
            }
        } catch (NumberFormatException notANumber) {
            // refused below, as a count below one is
        }
        throw new TypeConversionException("'" + value + "' is not a positive whole number");
    }
}
