import Foundation

/// A five-field cron expression (`minute hour day-of-month month day-of-week`, with `*`, lists,
/// ranges and `/` steps; day-of-week 0–7, Sunday both 0 and 7) read in a time zone: the shape
/// GitLab gives freeze periods and schedules. When both day fields are restricted, a day that
/// matches either matches (as cron has always read them). Local times are wall-clock times: a
/// time the spring change skips fires at the first instant after the gap, a time the autumn
/// change repeats fires once, the first time.
public struct CronSchedule: Sendable, Hashable {
    public let expression: String
    let minutes: [Int]
    let hours: [Int]
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool

    /// Reads `expression`; nil with a reason in `problem(_:)` when it is not five valid fields.
    public init?(_ expression: String) {
        guard Self.problem(expression) == nil else { return nil }
        let fields = expression.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        self.expression = expression
        minutes = Self.values(fields[0], 0...59)!.sorted(by: >)
        hours = Self.values(fields[1], 0...23)!.sorted(by: >)
        daysOfMonth = Set(Self.values(fields[2], 1...31)!)
        months = Set(Self.values(fields[3], 1...12)!)
        daysOfWeek = Set(Self.values(fields[4], 0...7)!.map { $0 % 7 })
        dayOfMonthRestricted = fields[2] != "*"
        dayOfWeekRestricted = fields[4] != "*"
    }

    /// Why `expression` cannot be used as a schedule: not a cron expression this reads, or one
    /// that does not fire at least once a year (`0 0 30 2 *` never does) — each check of a window
    /// or a schedule looks back at most that far, so a lookup stays bounded; nil when it can.
    public static func unusable(_ expression: String) -> String? {
        if let problem = problem(expression) { return problem }
        guard let schedule = CronSchedule(expression), let utc = TimeZone(identifier: "UTC") else { return "'\(expression.prefix(80))' is not a cron expression" }
        var probe = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
        // Every calendar year's days of the week differ: a year from each of seven starts.
        for _ in 0..<7 {
            guard let next = schedule.next(after: probe, in: utc), next.timeIntervalSince(probe) <= 366 * 86_400 else {
                return "'\(expression.prefix(80))' does not fire at least once a year"
            }
            probe = probe.addingTimeInterval(365 * 86_400 + 86_400 * 53)
        }
        return nil
    }

    /// Why `expression` is not a cron expression this reads; nil when it is.
    public static func problem(_ expression: String) -> String? {
        guard expression.count <= 200 else { return "a cron expression is at most 200 characters" }
        let fields = expression.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 5 else { return "'\(expression.prefix(80))' is not five cron fields (minute hour day month weekday)" }
        let ranges = [0...59, 0...23, 1...31, 1...12, 0...7]
        let names = ["minute", "hour", "day of month", "month", "day of week"]
        for (index, field) in fields.enumerated() where values(field, ranges[index]) == nil {
            return "cron field \(names[index]) '\(field.prefix(40))' must be *, numbers in \(ranges[index].lowerBound)–\(ranges[index].upperBound), lists, ranges or steps"
        }
        return nil
    }

    /// The values a field stands for, nil when it is malformed or out of `range`.
    static func values(_ field: String, _ range: ClosedRange<Int>) -> [Int]? {
        var result = Set<Int>()
        for part in field.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, let base = pieces.first, !base.isEmpty else { return nil }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed >= 1, parsed <= range.upperBound else { return nil }
                step = parsed
            }
            let bounds: ClosedRange<Int>
            if base == "*" {
                bounds = range
            } else if let dash = base.firstIndex(of: "-") {
                guard let low = Int(base[..<dash]), let high = Int(base[base.index(after: dash)...]), low <= high else { return nil }
                bounds = low...high
            } else {
                // Checked before it makes a range: `99/5` must be refused, not trap.
                guard let single = Int(base), range.contains(single) else { return nil }
                bounds = single...(pieces.count == 2 ? range.upperBound : single)
            }
            guard range.contains(bounds.lowerBound), range.contains(bounds.upperBound) else { return nil }
            result.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return result.isEmpty ? nil : Array(result)
    }

    /// The latest instant at or before `date` the schedule fires, looking back at most two years.
    public func previous(atOrBefore date: Date, in timeZone: TimeZone) -> Date? {
        occurrence(from: date, in: timeZone, forward: false)
    }

    /// The earliest instant after `date` the schedule fires, looking ahead at most two years.
    public func next(after date: Date, in timeZone: TimeZone) -> Date? {
        occurrence(from: date, in: timeZone, forward: true)
    }

    private func occurrence(from date: Date, in timeZone: TimeZone, forward: Bool) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let firstDay = calendar.startOfDay(for: date)
        for offset in 0..<(366 * 2) {
            guard let day = calendar.date(byAdding: .day, value: forward ? offset : -offset, to: firstDay) else { return nil }
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            guard let month = parts.month, months.contains(month), let dayOfMonth = parts.day, let weekday = parts.weekday,
                matches(dayOfMonth: dayOfMonth, dayOfWeek: weekday - 1)
            else { continue }
            for hour in forward ? hours.reversed() : hours {
                for minute in forward ? minutes.reversed() : minutes {
                    let local = DateComponents(year: parts.year, month: month, day: dayOfMonth, hour: hour, minute: minute)
                    guard let candidate = calendar.date(from: local) else { continue }
                    if forward ? candidate > date : candidate <= date { return candidate }
                }
            }
        }
        return nil
    }

    private func matches(dayOfMonth: Int, dayOfWeek: Int) -> Bool {
        switch (dayOfMonthRestricted, dayOfWeekRestricted) {
        case (true, true): daysOfMonth.contains(dayOfMonth) || daysOfWeek.contains(dayOfWeek)
        case (true, false): daysOfMonth.contains(dayOfMonth)
        case (false, true): daysOfWeek.contains(dayOfWeek)
        case (false, false): true
        }
    }
}
