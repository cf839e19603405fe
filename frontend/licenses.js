// Writes api/static/vendor/codemirror-LICENSES.txt: the licence of every package in the bundle.
const fs = require("fs");
const path = require("path");
const lock = require("./package-lock.json");
const out = ["Licences of the packages bundled into codemirror.js (built from frontend/ by `make codemirror`).", ""];
for (const [where, info] of Object.entries(lock.packages)) {
  if (!where || info.dev) continue;
  const dir = path.join(__dirname, where);
  const pkg = require(path.join(dir, "package.json"));
  const file = fs.readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  out.push("=".repeat(72), `${pkg.name} ${pkg.version} (${pkg.license})`, "=".repeat(72));
  out.push(file ? fs.readFileSync(path.join(dir, file), "utf8").trim() : `Licence: ${pkg.license}`, "");
}
fs.writeFileSync(path.join(__dirname, "../api/static/vendor/codemirror-LICENSES.txt"), out.join("\n"));
