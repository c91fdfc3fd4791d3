/**
 * The docs work in a fresh clone: every relative link in README.md and
 * docs/*.md names a file the repository holds (git ls-files), every #anchor a
 * heading of its page, and no path points outside the clone (`../shared/…`
 * exists only where this project is developed).
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const tracked = new Set(execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean));
const pages = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const headings = [...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1]!);
  return new Set(headings.map((h) => h.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-")));
}

/** Markdown outside fenced code blocks: a snippet's `/path/to/…` is not a link. */
const prose = (markdown: string) => markdown.replace(/```[\s\S]*?```/g, "");

describe.each(pages)("%s", (page) => {
  const text = readFileSync(join(ROOT, page), "utf8");
  const links = [...prose(text).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);

  it("links only to files in the repository and to headings that exist", () => {
    for (const link of links) {
      if (/^[a-z]+:/i.test(link)) continue; // http(s), mailto
      const [path, anchor] = link.split("#") as [string, string | undefined];
      const target = path === "" ? page : normalize(join(dirname(page), path));
      expect(target.startsWith(".."), `${page}: ${link} leaves the clone`).toBe(false);
      expect(tracked.has(target) || [...tracked].some((f) => f.startsWith(`${target}/`)), `${page}: ${link} is not in the repository`).toBe(true);
      if (anchor) expect(anchorsOf(readFileSync(join(ROOT, target), "utf8")), `${page}: ${link}`).toContain(anchor);
    }
  });

  it("names no path outside the clone", () => {
    const outside = [...prose(text).matchAll(/`(\.\.\/[^`]+)`/g)].map((m) => m[1]!).filter((p) => relative(ROOT, join(ROOT, dirname(page), p)).startsWith(".."));
    expect(outside).toEqual([]);
  });
});
