"""halotap: Halo Dot "Tap on Own Device" checkouts for payment service providers."""
