extension Duration {
    /// The duration in seconds, for rates and log messages.
    public var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
