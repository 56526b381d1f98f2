package io.tributary.server.generate;

/** The version of the running server, from the jar's manifest (absent when run from classes). */
final class TributaryVersion {

    private TributaryVersion() {
    }

    static String current() {
        String version = TributaryVersion.class.getPackage().getImplementationVersion();
        return version != null ? version : "dev";
    }
}
