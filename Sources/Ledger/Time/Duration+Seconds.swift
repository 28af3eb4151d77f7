extension Duration {
    /// The duration in seconds, for rates and log messages.
    public var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}

extension Duration {
    /// The duration in whole milliseconds, for events and timers.
    public var wholeMilliseconds: Int {
        let (whole, attoseconds) = components
        return Int(whole) * 1_000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
