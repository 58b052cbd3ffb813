"""Reference geography: the communes of INSEE's Code officiel géographique, from Etalab's kept package."""
