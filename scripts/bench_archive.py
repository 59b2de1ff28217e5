#!/usr/bin/env python3
"""How long `verdict archive` takes for 1,000 published issues over 200 tool
profiles (issue, tool and category pages, the index, feed and sitemap, and a
social card per issue), beside Hugo building the same pages from the same text
in the same run.

    python3 scripts/bench_archive.py [ISSUES] [TOOLS]

Builds the release binary and installs Debian's `hugo` when missing. Makes a
project of TOOLS profiles in 12 categories and ISSUES copies of the demo issue,
one a day back from the demo's date, each comparing two of the tools (with the
demo's descriptions and quotes; every third tool has community votes). Times,
each as the median of 3 (the machine is shared and noisy):

1. `verdict archive --no-cards` into an empty folder;
2. `verdict archive` into an empty folder (every card drawn);
3. `verdict archive` again with nothing changed, which must write no file;
4. `hugo` building the same issue, tool and category pages (the same Markdown
   text: intro, descriptions, bottom line and quotes) into an empty folder.

Writes target/bench/archive.md.
"""

import datetime
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERDICT = os.path.join(ROOT, "target", "release", "verdict")
WORK = os.path.join(ROOT, "target", "bench")
ISSUE = "2026-11-26-axolotl-vs-mistral-medium-3"
CATEGORIES = ["Developer Tools", "Chat Assistants", "Image Generation", "Coding Agents",
              "Search", "Speech", "Video", "Data Tools", "Open-Weight Models", "Writing",
              "Productivity", "Security"]
RUNS = 3


def tool_id(i):
    return "tool-%03d" % i


def split_demo():
    """The demo issue's head (subject to bottom line) and its two [[tool]] blocks,
    each without the lines its profile gives."""
    with open(os.path.join(ROOT, "issues", ISSUE + ".toml")) as f:
        demo = f.read()
    head, first, second = demo.split("[[tool]]")
    strip = lambda block: re.sub(r'(?m)^(# .*\n)*tool = ".*"\n', "", block)
    return head, strip(first), strip(second)


def make_project(n, tools):
    path = os.path.join(WORK, "archive-project")
    shutil.rmtree(path, ignore_errors=True)
    for part in ["templates", "subscribers"]:
        shutil.copytree(os.path.join(ROOT, part), os.path.join(path, part))
    shutil.copy(os.path.join(ROOT, "verdict.toml"), path)
    os.makedirs(os.path.join(path, "issues"))
    os.makedirs(os.path.join(path, "tools"))
    for i in range(tools):
        with open(os.path.join(path, "tools", tool_id(i) + ".toml"), "w") as f:
            f.write('name = "Tool %d"\ncategory = "%s"\ntagline = "The tagline of tool %d"\n'
                    'pricing = "%s"\nlink = "https://tool-%d.example.com"\n'
                    % (i, CATEGORIES[i % len(CATEGORIES)], i, ["Free", "Paid", "Freemium"][i % 3], i))
    head, first, second = split_demo()
    day = datetime.date(2026, 11, 26)
    issues = []
    for i in range(n):
        date = day - datetime.timedelta(days=i)
        a, b = i % tools, (i * 7 + 1) % tools
        if a == b:
            b = (b + 1) % tools
        text = re.sub(r"send_at = .*", "send_at = %sT09:00:00+00:00" % date.isoformat(), head)
        blocks = []
        for tool, block in [(a, first), (b, second)]:
            vote = "community_vote = %d\n" % (40 + (i * 13 + tool) % 55) if tool % 3 == 0 else ""
            blocks.append('[[tool]]\ntool = "%s"\n%s%s' % (tool_id(tool), vote, block))
        text += "".join(blocks)
        name = "%s-comparison-%d" % (date.isoformat(), i)
        with open(os.path.join(path, "issues", name + ".toml"), "w") as f:
            f.write(text)
        issues.append((name, date, a, b))
    return path, issues


def toml_strings(text, key):
    """Every string value of `key` in a TOML text (the demo's own forms only)."""
    values = []
    for match in re.finditer(r"(?m)^%s = (\"\"\"|''')\n?(.*?)\1|^%s = \"(.*)\"$" % (key, key), text, re.S):
        values.append(match.group(2) if match.group(2) is not None else match.group(3))
    return values


def make_hugo_site(issues, tools):
    """The same pages as Hugo content: an issue page each with the comparison's
    text, a tool page each with its quotes, a category page each."""
    path = os.path.join(WORK, "archive-hugo")
    shutil.rmtree(path, ignore_errors=True)
    head, first, second = split_demo()
    with open(os.path.join(ROOT, "issues", ISSUE + ".toml")) as f:
        demo = f.read()
    intro = toml_strings(head, "intro")[0]
    bottom = toml_strings(head, "bottom_line")[0]
    descriptions = [toml_strings(first, "description")[0], toml_strings(second, "description")[0]]
    quotes = [toml_strings(first, "quote"), toml_strings(second, "quote")]
    for folder in ["content/issues", "content/tools", "content/categories", "layouts/_default"]:
        os.makedirs(os.path.join(path, folder))
    with open(os.path.join(path, "hugo.toml"), "w") as f:
        f.write('baseURL = "https://verdicts.example.com/"\ntitle = "Weekly AI Tool Verdicts"\n'
                'disableKinds = ["taxonomy", "term"]\n')
    shell = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{{ .Title }}</title></head>"
             "<body><header><a href=\"/\">{{ .Site.Title }}</a></header><main>%s</main></body></html>")
    layouts = {
        "single.html": shell % "<article><h1>{{ .Title }}</h1>{{ .Content }}</article>",
        "list.html": shell % "<h1>{{ .Title }}</h1><ol>{{ range .Pages }}<li><a href=\"{{ .RelPermalink }}\">{{ .Title }}</a></li>{{ end }}</ol>",
    }
    for name, text in layouts.items():
        with open(os.path.join(path, "layouts/_default", name), "w") as f:
            f.write(text)
    appearances = {i: [] for i in range(tools)}
    for name, date, a, b in issues:
        body = [intro]
        for k, tool in enumerate([a, b]):
            body.append("## Tool %d\n\n%s" % (tool, descriptions[k]))
            appearances[tool].append((name, k))
        body.append("## Reviewer scorecard")
        for k in range(2):
            body.extend("> %s" % q.replace("\n", " ") for q in quotes[k])
        body.append("## The bottom line\n\n" + bottom)
        with open(os.path.join(path, "content/issues", name + ".md"), "w") as f:
            f.write('---\ntitle: "Tool %d vs Tool %d"\ndate: %s\n---\n\n%s\n' % (a, b, date.isoformat(), "\n\n".join(body)))
    for tool, seen in appearances.items():
        body = ["The tagline of tool %d" % tool, "## Every comparison"]
        body.extend("- [%s](/issues/%s/)" % (name, name) for name, _ in seen)
        body.append("## What the panel said")
        for _, k in seen:
            body.extend("> %s" % q.replace("\n", " ") for q in quotes[k])
        with open(os.path.join(path, "content/tools", tool_id(tool) + ".md"), "w") as f:
            f.write('---\ntitle: "Tool %d"\n---\n\n%s\n' % (tool, "\n\n".join(body)))
    for c, category in enumerate(CATEGORIES):
        members = [t for t in range(tools) if t % len(CATEGORIES) == c]
        body = ["- [Tool %d](/tools/%s/)" % (t, tool_id(t)) for t in members]
        slug = re.sub(r"[^a-z0-9]+", "-", category.lower()).strip("-")
        with open(os.path.join(path, "content/categories", slug + ".md"), "w") as f:
            f.write('---\ntitle: "%s"\n---\n\n%s\n' % (category, "\n".join(body)))
    return path


def timed(command, fresh=None):
    """The median wall time of RUNS runs of `command`, emptying `fresh` before
    each, and the last run's output."""
    times = []
    for _ in range(RUNS):
        if fresh:
            shutil.rmtree(fresh, ignore_errors=True)
        start = time.monotonic()
        result = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
        times.append(time.monotonic() - start)
    return statistics.median(times), result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


def files_in(folder):
    return sum(len(files) for _, _, files in os.walk(folder))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    tools = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    if shutil.which("hugo") is None:
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "hugo"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    os.makedirs(WORK, exist_ok=True)
    project, issues = make_project(n, tools)
    hugo_site = make_hugo_site(issues, tools)
    public = os.path.join(project, "public")
    archive = [VERDICT, "--project", project, "archive"]

    no_cards, no_cards_summary = timed(archive + ["--no-cards"], fresh=public)
    verdict_files = files_in(public)
    cards, cards_summary = timed(archive, fresh=public)
    rerun, rerun_summary = timed(archive)
    if " 0 file(s) written" not in rerun_summary:
        raise SystemExit("a rerun wrote files: " + rerun_summary)
    hugo_out = os.path.join(WORK, "archive-hugo-public")
    hugo, _ = timed(["hugo", "--quiet", "--source", hugo_site, "--destination", hugo_out], fresh=hugo_out)
    hugo_files = files_in(hugo_out)

    report = ("| %s issues over %s tool profiles | seconds (median of %d) | / Hugo |\n| --- | ---: | ---: |\n"
              % (f"{n:,}", tools, RUNS)
              + "| verdict archive --no-cards, empty folder | %.2f | %.2f |\n" % (no_cards, no_cards / hugo)
              + "| verdict archive, empty folder (every card drawn) | %.2f | %.2f |\n" % (cards, cards / hugo)
              + "| verdict archive, rerun with nothing changed | %.3f | %.2f |\n" % (rerun, rerun / hugo)
              + "| hugo, the same pages from the same text, empty folder | %.2f | 1.00 |\n" % hugo
              + "\nverdict --no-cards: %s (%d files)\nverdict with cards: %s\nrerun: %s\nhugo: %d files\n"
              % (no_cards_summary, verdict_files, cards_summary, rerun_summary, hugo_files))
    with open(os.path.join(WORK, "archive.md"), "w") as f:
        f.write(report)
    print(report)


if __name__ == "__main__":
    main()
