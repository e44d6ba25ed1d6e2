"""FC's `context` object for Python handlers, built from the WIT record."""


class Credentials:
    """`context.credentials`: the service role's temporary keys (empty when none)."""

    __slots__ = ("access_key_id", "access_key_secret", "security_token")

    def __init__(self, record):
        self.access_key_id = record.access_key_id
        self.access_key_secret = record.access_key_secret
        self.security_token = record.security_token


class FunctionMeta:
    """`context.function`: name, handler, memory (MB), timeout (s), initializer."""

    __slots__ = ("name", "handler", "memory", "timeout", "initializer")

    def __init__(self, record):
        self.name = record.name
        self.handler = record.handler
        self.memory = record.memory_size
        self.timeout = record.timeout
        self.initializer = record.initializer


class ServiceMeta:
    """`context.service`: name, log_project, log_store, qualifier, version_id."""

    __slots__ = ("name", "log_project", "log_store", "qualifier", "version_id")

    def __init__(self, record):
        self.name = record.name
        self.log_project = record.log_project
        self.log_store = record.log_store
        self.qualifier = record.qualifier
        self.version_id = record.version_id


class Context:
    """What FC passes as `context`: request id, credentials, function, service,
    region and account id."""

    __slots__ = (
        "request_id",
        "credentials",
        "function",
        "service",
        "region",
        "account_id",
        "instance_id",
    )

    def __init__(self, record):
        self.request_id = record.request_id
        self.credentials = Credentials(record.credentials)
        self.function = FunctionMeta(record.function)
        self.service = ServiceMeta(record.service)
        self.region = record.region
        self.account_id = record.account_id
        self.instance_id = record.instance_id
