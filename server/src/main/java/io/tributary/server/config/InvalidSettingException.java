package io.tributary.server.config;

/**
 * A setting whose value cannot work, found at start-up: names the setting, says why and what to do instead.
 */
public final class InvalidSettingException extends RuntimeException {

    private final String setting;
    private final String action;

    /**
     * @param setting the property, e.g. {@code tributary.cache-dir}
     * @param problem what is wrong with its value
     * @param action  what the operator should do
     */
    public InvalidSettingException(String setting, String problem, String action, Throwable cause) {
        super(setting + ": " + problem, cause);
        this.setting = setting;
        this.action = action;
    }

    public String setting() {
        return setting;
    }

    public String action() {
        return action;
    }
}
