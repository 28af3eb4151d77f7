public enum ExecutorsPlaceholder {}
