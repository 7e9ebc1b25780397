"""The built-in pages (web chat, agents' console, KPIs): one HTML file with its CSS and JS inlined, no network.

Every page's script runs after ``page_kit.js`` (``window.KefuPage``: language switching, the access key from the
URL fragment), which is bundled in front of it.
"""

from functools import cache
from importlib import resources


@cache
def bundled_page(package: str, folder: str, name: str) -> str:
    """``package/folder/index.html`` with ``name.css`` and the kit plus ``name.js`` put in place of its
    ``/*__NAME_CSS__*/`` and ``/*__NAME_JS__*/`` markers (NAME upper-cased)."""
    root = resources.files(package).joinpath(folder)
    html = root.joinpath("index.html").read_text(encoding="utf-8")
    css = root.joinpath(f"{name}.css").read_text(encoding="utf-8")
    kit = resources.files("serving.api").joinpath("page_kit.js").read_text(encoding="utf-8")
    js = kit + "\n" + root.joinpath(f"{name}.js").read_text(encoding="utf-8")
    marker = name.upper()
    return html.replace(f"/*__{marker}_CSS__*/", css).replace(f"/*__{marker}_JS__*/", js)
