from tests.observability.redis_server import own_redis  # noqa: F401  (fixture)
from tests.stack import make_stack, stack  # noqa: F401  (fixtures)
