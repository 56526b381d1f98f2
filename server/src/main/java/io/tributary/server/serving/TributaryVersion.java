package io.tributary.server.serving;

/** The version of the running server, from the jar's manifest (absent when run from classes). */
public final class TributaryVersion {

    private TributaryVersion() {}

    public static String current() {
        String version = TributaryVersion.class.getPackage().getImplementationVersion();
        return version != null ? version : "dev";
    }
}
