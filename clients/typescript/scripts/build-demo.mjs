// Builds the demo page wsc-hub serves at / into one self-contained HTML file,
// examples/wsc-hub/demo_page.html, which is committed: the C build embeds it without Node.
//   node scripts/build-demo.mjs          write it
//   node scripts/build-demo.mjs --check  fail when the committed file differs from a fresh build
import { build } from "esbuild";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, "..");
const out = join(pkg, "../../examples/wsc-hub/demo_page.html");

const result = await build({
  entryPoints: [join(pkg, "demo/main.ts")],
  bundle: true,
  format: "iife",
  target: "es2020",
  minify: false,
  legalComments: "none",
  charset: "utf8",
  absWorkingDir: pkg,
  write: false,
});
const js = result.outputFiles[0].text.trimEnd();
if (/<\/script/i.test(js) || /<!--/.test(js)) throw new Error("the bundle holds </script or <!--");
const template = readFileSync(join(pkg, "demo/index.html"), "utf8");
const html = template.replace("/*BUNDLE*/", () => js);
if (!html.includes('"@WSC_WS_PATH@"')) throw new Error("the ws path placeholder is missing");

if (process.argv.includes("--check")) {
  let old = "";
  try {
    old = readFileSync(out, "utf8");
  } catch {}
  if (old !== html) {
    console.error(`${out} is not the build of clients/typescript/demo: run npm run build:demo and commit it`);
    process.exit(1);
  }
  console.log("demo page is up to date");
} else {
  writeFileSync(out, html);
  console.log(`wrote ${out} (${html.length} bytes)`);
}
