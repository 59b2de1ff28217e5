#!/usr/bin/env python3
"""Reads an Atom feed with feedparser, as feed readers do, and prints what it
found as JSON: whether it was well-formed (bozo), its title and links, and each
entry's title, link, id, dates, summary and the length and start of its content.

    feed.py FILE
"""

import json
import sys

import feedparser

parsed = feedparser.parse(sys.argv[1])
print(json.dumps({
    "bozo": bool(parsed.bozo),
    "bozo_exception": str(parsed.get("bozo_exception", "")),
    "version": parsed.version,
    "title": parsed.feed.get("title"),
    "links": [link.get("href") for link in parsed.feed.get("links", [])],
    "entries": [{
        "title": entry.get("title"),
        "link": entry.get("link"),
        "id": entry.get("id"),
        "published": entry.get("published"),
        "updated": entry.get("updated"),
        "summary": entry.get("summary"),
        "content_type": entry.content[0].type if entry.get("content") else None,
        "content": entry.content[0].value if entry.get("content") else "",
    } for entry in parsed.entries],
}))
