/** preact with htm: tagged templates instead of JSX, so pages need no compile step of their own beyond the bundle. */
import { h } from "preact";
import htm from "htm";

export const html = htm.bind(h);
