package io.tributary.tools.router;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

/** One router-tools command run in this JVM, with what it printed on standard output and standard error. */
record ToolRun(int code, String out, String err) {

    static ToolRun of(String... args) {
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        try {
            return new ToolRun(RouterTools.run(args), out.toString(), err.toString());
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
    }
}
