/// Namespace of the HTTP API over commands and projections. It arrives with its own issue; the
/// module exists now so that nothing else can come to depend on it.
public enum Gateway {}
