"""V2X codec: ASN.1 message sets (SAE J2735, CSAE 53), framing and views. Sans-I/O."""
