// Renders a chat template with @huggingface/jinja: reads {"template", "context"} as JSON on stdin.
import { Template } from "@huggingface/jinja";

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const { template, context } = JSON.parse(input);
  process.stdout.write(new Template(template).render(context));
});
