"""Driving a page with the keyboard only: Tab until a wanted element has focus, and what a sighted
keyboard user sees of the focus (issue 18, item 2)."""

FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "";  // the focus went past the page, to the browser's own controls
  // The ring may be drawn on the element or, for a styled radio or checkbox, on its label.
  for (const node of [el, el.closest("label"), el.closest(".option")]) {
    if (!node) continue;
    const style = getComputedStyle(node);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    if (outline || (style.boxShadow && style.boxShadow !== "none")) return "";
  }
  return "no visible focus on " + el.outerHTML.slice(0, 120);
}"""


def tab_to(page, selector: str, limit: int = 200, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches `selector`; every stop on the way
    must show where the focus is."""
    matches = "(s) => !!document.activeElement && document.activeElement.matches(s)"
    if page.evaluate(matches, selector):  # already there (an autofocused field)
        return
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        missing = page.evaluate(FOCUS_RING)
        assert not missing, missing
        if page.evaluate(matches, selector):
            return
    raise AssertionError(f"{selector} is not reachable with {limit} presses of Tab")


def focused(page) -> str:
    """A short description of what has focus: id, or tag and text."""
    return page.evaluate("() => { const e = document.activeElement; return e.id ? '#' + e.id : "
                         "e.tagName.toLowerCase() + ':' + (e.textContent || '').trim().slice(0, 40); }")
