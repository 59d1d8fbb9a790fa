// Copies the GOV.UK Frontend and axe-core files the app serves into hsbtrack/static/vendor.
// Run by `npm run build` at install time; the copies are git-ignored, never committed.
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");
const vendor = path.join(root, "hsbtrack", "static", "vendor");
const govuk = path.join(root, "node_modules", "govuk-frontend", "dist", "govuk");

fs.rmSync(vendor, { recursive: true, force: true });
fs.mkdirSync(path.join(vendor, "govuk"), { recursive: true });
fs.copyFileSync(path.join(govuk, "govuk-frontend.min.js"), path.join(vendor, "govuk", "govuk-frontend.min.js"));
fs.cpSync(path.join(govuk, "assets", "images"), path.join(vendor, "govuk", "assets", "images"), { recursive: true });
fs.copyFileSync(path.join(govuk, "assets", "manifest.json"), path.join(vendor, "govuk", "assets", "manifest.json"));
fs.mkdirSync(path.join(vendor, "axe"), { recursive: true });
fs.copyFileSync(path.join(root, "node_modules", "axe-core", "axe.min.js"), path.join(vendor, "axe", "axe.min.js"));
