NAME = "sibling in src/"
