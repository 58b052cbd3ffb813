"""Extract the C2S FranceConnect route of API Particulier's OpenAPI, with the components it references."""
import sys

import yaml

ROUTE = "/v3/dss/complementaire_sante_solidaire/france_connect"
full = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
excerpt = {
    "openapi": full["openapi"],
    "info": {"title": full["info"]["title"], "version": full["info"]["version"]},
    "servers": full["servers"],
    "paths": {ROUTE: full["paths"][ROUTE]},
    "components": {"schemas": {"Error": full["components"]["schemas"]["Error"]},
                   "securitySchemes": full["components"]["securitySchemes"]},
}
yaml.safe_dump(excerpt, sys.stdout, allow_unicode=True, sort_keys=False, width=119)
