/// Splits a migration file into single statements, because the extended query protocol runs
/// one statement at a time. Understands `--` and `/* */` comments, quoted strings and
/// identifiers, and dollar-quoted bodies (`$$ … $$`, `$tag$ … $tag$`) of functions.
enum SQLScript {
    static func statements(_ script: String) -> [String] {
        let characters = Array(script)
        var statements: [String] = []
        var current = ""
        var index = 0

        func flush() {
            let statement = current.trimmingWhitespace()
            if !statement.isEmpty { statements.append(statement) }
            current = ""
        }

        while index < characters.count {
            let character = characters[index]
            let next: Character? = index + 1 < characters.count ? characters[index + 1] : nil
            if character == "-" && next == "-" {
                while index < characters.count && characters[index] != "\n" { index += 1 }
                continue
            }
            if character == "/" && next == "*" {
                index += 2
                while index + 1 < characters.count && !(characters[index] == "*" && characters[index + 1] == "/") { index += 1 }
                index += 2
                continue
            }
            if character == "'" || character == "\"" {
                current.append(character)
                index += 1
                while index < characters.count {
                    current.append(characters[index])
                    if characters[index] == character { index += 1; break }
                    index += 1
                }
                continue
            }
            if character == "$", let tag = dollarTag(characters, at: index) {
                let closing = Array(tag)
                current.append(contentsOf: tag)
                index += closing.count
                while index < characters.count {
                    if characters[index] == "$" && Array(characters[index..<min(index + closing.count, characters.count)]) == closing {
                        current.append(contentsOf: tag)
                        index += closing.count
                        break
                    }
                    current.append(characters[index])
                    index += 1
                }
                continue
            }
            if character == ";" {
                flush()
                index += 1
                continue
            }
            current.append(character)
            index += 1
        }
        flush()
        return statements
    }

    /// The `$tag$` starting at `index`, if one does.
    private static func dollarTag(_ characters: [Character], at index: Int) -> String? {
        var end = index + 1
        while end < characters.count, characters[end].isLetter || characters[end].isNumber || characters[end] == "_" { end += 1 }
        guard end < characters.count, characters[end] == "$" else { return nil }
        if end > index + 1, characters[index + 1].isNumber { return nil }  // $1 is a parameter, not a tag
        return String(characters[index...end])
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
