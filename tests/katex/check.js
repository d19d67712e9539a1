// Reads a JSON list of LaTeX strings on stdin; prints a JSON list of
// [index, error] for every string KaTeX cannot render (empty list: all good).
const katex = require("katex");
let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const errors = [];
  JSON.parse(input).forEach((tex, i) => {
    try {
      katex.renderToString(tex, { displayMode: true, throwOnError: true, strict: "ignore" });
    } catch (e) {
      errors.push([i, String(e.message || e)]);
    }
  });
  process.stdout.write(JSON.stringify(errors));
});
