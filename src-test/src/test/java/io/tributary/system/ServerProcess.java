package io.tributary.system;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The packaged server jar, started as a user would start it: {@code java -jar}, on a free port. */
public final class ServerProcess implements AutoCloseable {

    private final Process process;
    private final Path log;
    public final int port;

    private ServerProcess(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    public static ServerProcess start(Path cacheDir, String... extraArgs) throws Exception {
        Path jar = Path.of(System.getProperty("tributary.server.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("server jar not built: " + jar);
        }
        int port = freePort();
        Path log = Files.createTempFile("tributary-server", ".log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                "-jar",
                jar.toString(),
                "--server.port=" + port,
                "--tributary.cache-dir=" + cacheDir));
        command.addAll(List.of(extraArgs));
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        ServerProcess server = new ServerProcess(process, log, port);
        server.awaitHealthy(Duration.ofSeconds(120));
        return server;
    }

    private void awaitHealthy(Duration timeout) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the server exited with " + process.exitValue() + ":\n" + log());
            }
            try {
                HttpResponse<String> response = client.send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/health/readiness"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYetListening) {
                // keep polling
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("the server did not become ready in " + timeout + ":\n" + log());
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Kills the process at once (SIGKILL), as a crashed pod or a lost node would go. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
