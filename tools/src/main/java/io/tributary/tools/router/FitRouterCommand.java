package io.tributary.tools.router;

import picocli.CommandLine.Command;

/** Groups the fits of the router's trainable parts. */
@Command(
        name = "fit-router",
        mixinStandardHelpOptions = true,
        subcommands = {FitTemperatureCommand.class, FitClassifierCommand.class},
        description = "Fit the soft-routing temperature or the learned router's classifier.")
final class FitRouterCommand {}
