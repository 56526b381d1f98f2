package io.tributary.system;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Requests a server must refuse with a 4xx, for every route: bodies that are not JSON or not the right JSON,
 * values of the wrong type or out of range, parameters refused rather than ignored, images that cannot be read,
 * routes and methods that do not exist.
 */
final class MalformedRequests {

    /** One request: what is wrong with it, and how to send it. */
    record Case(String what, String method, String path, String contentType, String body) {
        @Override
        public String toString() {
            return method + " " + path + ": " + what;
        }
    }

    private static final String JSON = "application/json";
    private static final String PNG_HEADER_ONLY = "data:image/png;base64,"
            + Base64.getEncoder().encodeToString(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    private static final String NOT_AN_IMAGE =
            "data:image/png;base64," + Base64.getEncoder().encodeToString("this is text, not pixels".getBytes());

    private MalformedRequests() {}

    static List<Case> all() {
        List<Case> cases = new ArrayList<>();
        for (String route : List.of("/generate", "/generate_stream", "/")) {
            tgi(cases, route);
        }
        tokenize(cases);
        chat(cases);
        completions(cases);
        misc(cases);
        return cases;
    }

    private static void tgi(List<Case> cases, String route) {
        String[][] bodies = {
            {"empty body", ""},
            {"not JSON", "hello"},
            {"truncated JSON", "{\"inputs\": \"hi\""},
            {"JSON null", "null"},
            {"a JSON array", "[1,2]"},
            {"inputs missing", "{\"parameters\":{}}"},
            {"inputs empty", "{\"inputs\":\"\"}"},
            {"inputs a number", "{\"inputs\":42}"},
            {"inputs a list", "{\"inputs\":[\"a\"]}"},
            {"parameters a list", "{\"inputs\":\"hi\",\"parameters\":[]}"},
            {"max_new_tokens zero", p("\"max_new_tokens\":0")},
            {"max_new_tokens negative", p("\"max_new_tokens\":-3")},
            {"max_new_tokens beyond the limit", p("\"max_new_tokens\":100000000")},
            {"max_new_tokens beyond int", p("\"max_new_tokens\":99999999999")},
            {"max_new_tokens a string", p("\"max_new_tokens\":\"ten\"")},
            {"max_new_tokens fractional", p("\"max_new_tokens\":2.5")},
            {"temperature zero", p("\"temperature\":0")},
            {"temperature negative", p("\"temperature\":-1")},
            {"top_p above one", p("\"top_p\":1.5")},
            {"top_k zero", p("\"top_k\":0")},
            {"repetition_penalty zero", p("\"repetition_penalty\":0")},
            {"stop with an empty sequence", p("\"stop\":[\"\"]")},
            {"stop with too many sequences", p("\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]")},
            {"stop a string", p("\"stop\":\"x\"")},
            {"best_of two", p("\"best_of\":2")},
            {"typical_p zero", p("\"typical_p\":0")},
            {"typical_p above one", p("\"typical_p\":1.5")},
            {"frequency_penalty out of range", p("\"frequency_penalty\":3")},
            {"watermark", p("\"watermark\":true")},
            {"grammar of an unknown type", p("\"grammar\":{\"type\":\"xml\",\"value\":\"<a/>\"}")},
            {"grammar regex with look-ahead", p("\"grammar\":{\"type\":\"regex\",\"value\":\"(?=a)b\"}")},
            {"grammar json not a schema", p("\"grammar\":{\"type\":\"json\",\"value\":[1]}")},
            {"top_n_tokens too many", p("\"top_n_tokens\":50")},
            {"truncate zero", p("\"truncate\":0")},
            {"do_sample a string", p("\"do_sample\":\"yes\"")},
            {"seed a string", p("\"seed\":\"abc\"")},
            {"routing unknown mode", p("\"routing\":{\"mode\":\"psychic\"}")},
            {"routing without mode", p("\"routing\":{}")},
            {"routing fixed, wrong length", p("\"routing\":{\"mode\":\"fixed\",\"weights\":[1]}")},
            {"routing fixed, negative", p("\"routing\":{\"mode\":\"fixed\",\"weights\":[1,-1]}")},
            {"routing fixed, all zero", p("\"routing\":{\"mode\":\"fixed\",\"weights\":[0,0]}")},
            {"routing hard without centroids", p("\"routing\":{\"mode\":\"hard\"}")},
            {"image URL while URLs are off", "{\"inputs\":\"![](https://example.com/a.png) hi\"}"},
            {"image not base64", "{\"inputs\":\"![](data:image/png;base64,@@@@) hi\"}"},
            {"image with a space inside", "{\"inputs\":\"![](data:image/png;base64,AA AA) hi\"}"},
            {"image never closed", "{\"inputs\":\"![](data:image/png;base64,AAAA hi\"}"},
            {"image of an unsupported type", "{\"inputs\":\"![](data:image/svg+xml;base64,PHN2Zz4=) hi\"}"},
            {"image that is text", "{\"inputs\":\"![](" + NOT_AN_IMAGE + ") hi\"}"},
            {"image cut after its header", "{\"inputs\":\"![](" + PNG_HEADER_ONLY + ") hi\"}"},
        };
        for (String[] body : bodies) {
            cases.add(new Case(body[0], "POST", route, JSON, body[1]));
        }
        cases.add(new Case("not JSON content", "POST", route, "text/plain", "{\"inputs\":\"hi\"}"));
    }

    private static void tokenize(List<Case> cases) {
        cases.add(new Case("inputs empty", "POST", "/tokenize", JSON, "{\"inputs\":\"\"}"));
        cases.add(new Case("not JSON", "POST", "/tokenize", JSON, "tokens please"));
        cases.add(new Case("inputs a number", "POST", "/tokenize", JSON, "{\"inputs\":7}"));
        cases.add(new Case(
                "image not base64", "POST", "/tokenize", JSON, "{\"inputs\":\"![](data:image/png;base64,@@)\"}"));
        cases.add(new Case("form content", "POST", "/tokenize", "application/x-www-form-urlencoded", "inputs=hi"));
    }

    private static void chat(List<Case> cases) {
        String[][] bodies = {
            {"empty body", ""},
            {"not JSON", "chat"},
            {"messages missing", "{}"},
            {"messages empty", "{\"messages\":[]}"},
            {"messages an object", "{\"messages\":{\"role\":\"user\"}}"},
            {"a message null", "{\"messages\":[null]}"},
            {"unknown role", m("{\"role\":\"wizard\",\"content\":\"hi\"}")},
            {"role missing", m("{\"content\":\"hi\"}")},
            {"content missing", m("{\"role\":\"user\"}")},
            {"content a number", m("{\"role\":\"user\",\"content\":42}")},
            {"content an empty list", m("{\"role\":\"user\",\"content\":[]}")},
            {"unknown part type", m("{\"role\":\"user\",\"content\":[{\"type\":\"audio\"}]}")},
            {"text part without text", m("{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}")},
            {"image part without url", m("{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{}}]}")
            },
            {"image part, bad detail", m(img("data:image/png;base64,AAAA\",\"detail\":\"ultra"))},
            {"image part, remote URL", m(img("https://example.com/a.png"))},
            {"image part, not base64", m(img("data:image/png;base64,@@"))},
            {"image part, not an image", m(img(NOT_AN_IMAGE))},
            {"image part, cut PNG", m(img(PNG_HEADER_ONLY))},
            {"unknown message field", m("{\"role\":\"user\",\"content\":\"hi\",\"mood\":\"happy\"}")},
            {"n above sixteen", c("\"n\":17")},
            {"temperature above two", c("\"temperature\":2.5")},
            {"temperature a string", c("\"temperature\":\"hot\"")},
            {"top_p zero", c("\"top_p\":0")},
            {"max_tokens zero", c("\"max_tokens\":0")},
            {"max_tokens beyond the limit", c("\"max_tokens\":100000000")},
            {"max_completion_tokens negative", c("\"max_completion_tokens\":-1")},
            {"top_logprobs without logprobs", c("\"top_logprobs\":2")},
            {"top_logprobs above twenty", c("\"logprobs\":true,\"top_logprobs\":21")},
            {"stop with five sequences", c("\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]")},
            {"stop a number", c("\"stop\":5")},
            {"tools without a function", c("\"tools\":[{\"type\":\"function\"}]")},
            {"tools, a name with a space", c("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"a b\"}}]")},
            {"tool_choice required without tools", c("\"tool_choice\":\"required\"")},
            {
                "tool_choice naming an unknown function",
                c("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
                        + "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"g\"}}")
            },
            {"response_format of an unknown type", c("\"response_format\":{\"type\":\"xml\"}")},
            {"response_format json_schema without schema", c("\"response_format\":{\"type\":\"json_schema\"}")},
            {
                "response_format schema with a foreign $ref",
                c("\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"schema\":"
                        + "{\"$ref\":\"https://example.com/s.json\"}}}")
            },
            {"guided_regex unbalanced", c("\"guided_regex\":\"(ab\"")},
            {"guided_choice empty", c("\"guided_choice\":[]")},
            {"guided_grammar", c("\"guided_grammar\":\"root ::= 'a'\"")},
            {"presence_penalty out of range", c("\"presence_penalty\":2.5")},
            {"logit_bias outside the vocabulary", c("\"logit_bias\":{\"50256\":-100}")},
            {"stream a string", c("\"stream\":\"yes\"")},
            {"routing unknown mode", c("\"routing\":{\"mode\":\"psychic\"}")},
        };
        for (String[] body : bodies) {
            cases.add(new Case(body[0], "POST", "/v1/chat/completions", JSON, body[1]));
        }
        cases.add(new Case("not JSON content", "POST", "/v1/chat/completions", "text/plain", c("")));
    }

    private static void completions(List<Case> cases) {
        String[][] bodies = {
            {"prompt missing", "{}"},
            {"prompt empty", "{\"prompt\":\"\"}"},
            {"two prompts", "{\"prompt\":[\"a\",\"b\"]}"},
            {"prompt token ids", "{\"prompt\":[1,2,3]}"},
            {"logprobs above five", "{\"prompt\":\"a\",\"logprobs\":6}"},
            {"suffix", "{\"prompt\":\"a\",\"suffix\":\"z\"}"},
            {"echo with logprobs", "{\"prompt\":\"a\",\"echo\":true,\"logprobs\":1}"},
            {"best_of two", "{\"prompt\":\"a\",\"best_of\":2}"},
            {"max_tokens a string", "{\"prompt\":\"a\",\"max_tokens\":\"many\"}"},
        };
        for (String[] body : bodies) {
            cases.add(new Case(body[0], "POST", "/v1/completions", JSON, body[1]));
        }
    }

    private static void misc(List<Case> cases) {
        cases.add(new Case("an unknown model", "GET", "/v1/models/gpt-4", null, null));
        cases.add(new Case("an unknown OpenAI route", "POST", "/v1/embeddings", JSON, "{\"input\":\"a\"}"));
        cases.add(new Case("an unknown route", "GET", "/no/such/route", null, null));
        cases.add(new Case("GET on a POST route", "GET", "/generate", null, null));
        cases.add(new Case("DELETE on the model list", "DELETE", "/v1/models", null, null));
        cases.add(new Case("PUT on info", "PUT", "/info", JSON, "{}"));
    }

    private static String p(String parameter) {
        return "{\"inputs\":\"hi\",\"parameters\":{" + parameter + "}}";
    }

    private static String m(String message) {
        return "{\"messages\":[" + message + "],\"max_tokens\":2}";
    }

    private static String img(String url) {
        return "{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + url + "\"}}]}";
    }

    private static String c(String field) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2"
                + (field.isEmpty() ? "" : "," + field) + "}";
    }
}
