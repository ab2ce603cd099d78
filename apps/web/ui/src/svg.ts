const SVG_NS = "http://www.w3.org/2000/svg";

type Attrs = Record<string, string | number | undefined>;

/** An SVG element from trusted tag and attribute names; child strings become text nodes, never markup. */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string)[]
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  for (const child of children) node.append(child);
  return node;
}

/** Sets the attributes that are given and removes the ones given as undefined. */
export function setAttrs(node: Element, attrs: Attrs): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined) node.removeAttribute(name);
    else node.setAttribute(name, String(value));
  }
}
