"""Supply assurance (保供): supply nodes of the three-tier network and daily distribution plans."""
