public enum GatewayPlaceholder {}
