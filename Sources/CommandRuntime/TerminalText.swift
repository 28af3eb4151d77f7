/// Text from the log (commit messages, authors, log lines, errors) as it may reach a terminal:
/// every control character shown as a visible `\u001B` escape, so that nothing a push or a step
/// wrote can move the cursor, rewrite earlier lines or retitle the window.
package enum TerminalText {
    /// `text` with C0 controls (but tab, and newline when `keepingNewlines`), DEL and C1
    /// controls escaped.
    package static func visible(_ text: String, keepingNewlines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { isControl($0, keepingNewlines) }) else { return text }
        var output = ""
        output.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if isControl(scalar, keepingNewlines) {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                output.unicodeScalars.append(scalar)
            }
        }
        return output
    }

    private static func isControl(_ scalar: Unicode.Scalar, _ keepingNewlines: Bool) -> Bool {
        switch scalar.value {
        case 0x09: false
        case 0x0A: !keepingNewlines
        case 0x00...0x1F, 0x7F...0x9F: true
        default: false
        }
    }
}
