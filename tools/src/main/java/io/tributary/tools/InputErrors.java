package io.tributary.tools;

import io.tributary.model.ModelLoadException;
import io.tributary.routing.refusal.RequestRefusedException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A command that fails on its input (a value it refuses, a file it cannot read or load) prints one line naming the
 * command and exits 2, as a mistake in the arguments does; anything else is a bug and keeps its stack trace.
 */
public final class InputErrors implements IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception exception, CommandLine commandLine, ParseResult parsed)
            throws Exception {
        if (exception instanceof IllegalArgumentException
                || exception instanceof RequestRefusedException
                || exception instanceof IOException
                || exception instanceof UncheckedIOException
                || exception instanceof ModelLoadException) {
            commandLine.getErr().println(commandLine.getCommandName() + ": " + exception.getMessage());
            return 2;
        }
        throw exception;
    }
}
