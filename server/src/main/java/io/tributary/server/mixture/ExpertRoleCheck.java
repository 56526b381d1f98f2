package io.tributary.server.mixture;

import io.tributary.server.config.InvalidSettingException;

/** The expert role serves checkpoints it holds: relaying another server's expert is a gateway's job. */
final class ExpertRoleCheck {

    private ExpertRoleCheck() {}

    static void requireLocalExperts(MixtureLoader.Checked mixture) {
        for (int i = 0; i < mixture.manifest().experts().size(); i++) {
            MixtureManifest.ExpertEntry entry = mixture.manifest().experts().get(i);
            if (entry.isRemote()) {
                mixture.remote().values().forEach(io.tributary.routing.Expert::close);
                throw new InvalidSettingException(
                        "tributary.role",
                        "this server is an expert server "
                                + "(tributary.role=expert), but its manifest's experts[" + i + "] ('" + entry.name()
                                + "') names an address, not a checkpoint path",
                        "Give the expert server a manifest of checkpoint paths; name expert servers by address only "
                                + "in a gateway's manifest.",
                        null);
            }
        }
    }
}
