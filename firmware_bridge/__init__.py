"""Host side of the serial protocol to the radio module firmware."""
