package io.tributary.system.container;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A slow link: a TCP relay that holds every chunk of bytes for a fixed time in each direction before passing it on,
 * in order, as a link with that one-way latency would (toxiproxy's latency toxic does the same). The kernel here has
 * no {@code netem} ("Specified qdisc kind is unknown"), so the delay is made in user space. JDK only: it runs in a
 * container of the server image, from the test classes, as {@code java -cp DIR ...DelayingRelay PORT HOST:PORT MS}.
 */
public final class DelayingRelay {

    private static final byte[] END = new byte[0];

    private record Chunk(long dueNanos, byte[] bytes) {}

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        String[] upstream = args[1].split(":");
        long delayNanos = Long.parseLong(args[2]) * 1_000_000;
        try (ServerSocket server = new ServerSocket(port)) {
            System.out.println("relaying :" + port + " to " + args[1] + " with " + args[2] + " ms each way");
            while (true) {
                Socket client = server.accept();
                Socket target = new Socket(upstream[0], Integer.parseInt(upstream[1]));
                client.setTcpNoDelay(true);
                target.setTcpNoDelay(true);
                pipe(client, target, delayNanos);
                pipe(target, client, delayNanos);
            }
        }
    }

    /** Bytes read from {@code from} are written to {@code to} {@code delayNanos} after they arrived. */
    private static void pipe(Socket from, Socket to, long delayNanos) {
        BlockingQueue<Chunk> inFlight = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            byte[] buffer = new byte[64 * 1024];
            try (InputStream in = from.getInputStream()) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    inFlight.add(new Chunk(System.nanoTime() + delayNanos, Arrays.copyOf(buffer, n)));
                }
            } catch (IOException e) {
                // the connection ended
            }
            inFlight.add(new Chunk(System.nanoTime() + delayNanos, END));
        });
        Thread writer = new Thread(() -> {
            try (OutputStream out = to.getOutputStream()) {
                while (true) {
                    Chunk chunk = inFlight.take();
                    long wait = chunk.dueNanos() - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                    if (chunk.bytes() == END) {
                        break;
                    }
                    out.write(chunk.bytes());
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // the connection ended
            }
            close(from);
            close(to);
        });
        reader.setDaemon(true);
        writer.setDaemon(true);
        reader.start();
        writer.start();
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }

    private DelayingRelay() {}
}
