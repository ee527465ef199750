"""Open data: bulk dumps of the public register (`dump`) and their DCAT-AP-SE catalogue
(`dcat`). Both only ever see the public projection (diarium.public)."""
