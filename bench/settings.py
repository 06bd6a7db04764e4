"""Settings for the query count benchmark: the product's settings plus a query counter.

Only ``bench.queries`` starts a server with these settings; the load benchmarks run the
product's settings unchanged.
"""

from stadtkasse.settings import *  # noqa: F403
from stadtkasse.settings import MIDDLEWARE

# First in the chain, so that the queries of the session, authentication and
# municipality middleware count too.
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
