// Escaping text for the XML the exporters write (UNIXML, SpreadsheetML).

/** Escapes the XML special characters and drops characters XML 1.0 cannot carry. */
export const escapeXml = (text: string): string =>
  text
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing the control characters XML 1.0 forbids
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")

/** SpreadsheetML text: a literal "_xHHHH_" must itself be escaped, or Excel reads it as a character code. */
export const escapeSpreadsheetText = (text: string): string =>
  escapeXml(text.replace(/_(x[0-9A-Fa-f]{4}_)/g, "_x005F_$1")).replace(/\r/g, "_x000D_")
