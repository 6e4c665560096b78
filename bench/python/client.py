"""
The Python client of the per-call benchmark: per call, the work that the swagger-codegen client
generated from the spec (python_glowmarkt) does, on one urllib3 PoolManager.

Per call, as swagger_client.ApiClient.__call_api and rest.RESTClientObject.request do it:
the request model is sanitised to a dict (sanitize_for_serialization), headers are built and
sanitised (default headers, Accept / Content-Type selection, the app-keys basic header from the
configuration), the path parameter is quoted into the path, the body goes through json.dumps, the
request through PoolManager.request (preload_content), the body is decoded as UTF-8 and logged at
DEBUG (disabled, as by default), then json.loads and deserialised into model objects (AddUserRes
with its list of ApplicationRes), through property setters.

Protocol (a child of bench/overhead.ts): one JSON command per stdin line,
  {"op": "getById" | "register", "n": N, "threads": T, "origin": "http://127.0.0.1:PORT"}
answered by one JSON line: {"cpuUs": CPU µs per call (time.process_time, all threads),
"wall": s, "rps", "p50ms", "p99ms", "errors"}. Needs urllib3 (Debian: python3-urllib3).
"""
import json
import logging
import re
import sys
import threading
import time
from urllib.parse import quote

import urllib3

logger = logging.getLogger("swagger_client.rest")

APPLICATION_ID = "b0f1b774-a586-4f72-9edd-27ead8aa7a8d"
DIRECTORY_ID = "d6f1a2b3-c4d5-4e6f-8a9b-0c1d2e3f4a5b"
USER_ID = "8f0f7d3e-6a0c-4b1e-9d55-2f6c1f4b9a21"
PRIMITIVE_TYPES = (float, bool, bytes, str, int)


class Model(object):
    """What every generated model is: swagger_types, attribute_map, properties, to_dict."""

    swagger_types = {}
    attribute_map = {}

    def __init__(self, **kwargs):
        for attr in self.swagger_types:
            setattr(self, "_" + attr, None)
        for attr, value in kwargs.items():
            setattr(self, attr, value)


def model(name, fields):
    """A generated model class: one property (getter + setter) per field."""
    namespace = {"swagger_types": dict(fields), "attribute_map": {k: k for k, _ in fields}}
    for attr, _ in fields:
        def getter(self, _attr=attr):
            return getattr(self, "_" + _attr)

        def setter(self, value, _attr=attr):
            setattr(self, "_" + _attr, value)

        namespace[attr] = property(getter, setter)
    return type(name, (Model,), namespace)


ApplicationRes = model("ApplicationRes", [("account_id", "str"), ("active", "bool"), ("application_id", "str")])
ApplicationRes.attribute_map = {"account_id": "accountId", "active": "active", "application_id": "applicationId"}
AddUserRes = model("AddUserRes", [
    ("user_id", "str"), ("status", "str"), ("active", "bool"),
    ("applications", "list[ApplicationRes]"), ("created_at", "str"), ("updated_at", "str"),
])
AddUserRes.attribute_map = {
    "user_id": "userId", "status": "status", "active": "active",
    "applications": "applications", "created_at": "createdAt", "updated_at": "updatedAt",
}
AddUserReq = model("AddUserReq", [
    ("application_id", "str"), ("directory_id", "str"), ("email", "str"),
    ("name", "str"), ("password", "str"), ("username", "str"),
])
AddUserReq.attribute_map = {
    "application_id": "applicationId", "directory_id": "directoryId", "email": "email",
    "name": "name", "password": "password", "username": "username",
}
MODELS = {"ApplicationRes": ApplicationRes, "AddUserRes": AddUserRes}


class ApiClient(object):
    def __init__(self, host):
        self.host = host
        self.default_headers = {"User-Agent": "Swagger-Codegen/1.0.0/python"}
        # Configuration(): connection_pool_maxsize = cpu_count * 5; rest.RESTClientObject.
        self.pool_manager = urllib3.PoolManager(num_pools=4, maxsize=10, cert_reqs="CERT_NONE")
        self.username = "bench-key"
        self.password = "bench-secret"

    def auth_settings(self):
        # Configuration.auth_settings(): the basic token is made on every call.
        return {"appKeys": {"type": "basic", "in": "header", "key": "Authorization",
                            "value": urllib3.util.make_headers(basic_auth=self.username + ":" + self.password)
                            .get("authorization")}}

    def update_params_for_auth(self, headers, auth_settings):
        for auth in auth_settings:
            setting = self.auth_settings().get(auth)
            if setting and setting["in"] == "header":
                headers[setting["key"]] = setting["value"]

    def sanitize_for_serialization(self, obj):
        if obj is None:
            return None
        elif isinstance(obj, PRIMITIVE_TYPES):
            return obj
        elif isinstance(obj, list):
            return [self.sanitize_for_serialization(sub_obj) for sub_obj in obj]
        elif isinstance(obj, tuple):
            return tuple(self.sanitize_for_serialization(sub_obj) for sub_obj in obj)
        if isinstance(obj, dict):
            obj_dict = obj
        else:
            obj_dict = {obj.attribute_map[attr]: getattr(obj, attr)
                        for attr, _ in obj.swagger_types.items() if getattr(obj, attr) is not None}
        return {key: self.sanitize_for_serialization(val) for key, val in obj_dict.items()}

    def deserialize_data(self, data, klass):
        if data is None:
            return None
        if isinstance(klass, str):
            if klass.startswith("list["):
                sub_kls = re.match(r"list\[(.*)\]", klass).group(1)
                return [self.deserialize_data(sub_data, sub_kls) for sub_data in data]
            if klass in ("str", "bool", "int", "float"):
                return data
            klass = MODELS[klass]
        kwargs = {}
        for attr, attr_type in klass.swagger_types.items():
            if data is not None and klass.attribute_map[attr] in data and isinstance(data, (list, dict)):
                kwargs[attr] = self.deserialize_data(data[klass.attribute_map[attr]], attr_type)
        return klass(**kwargs)

    def call_api(self, resource_path, method, path_params=None, header_params=None, body=None,
                 auth_settings=None, response_type=None):
        header_params = header_params or {}
        header_params.update(self.default_headers)
        header_params = self.sanitize_for_serialization(header_params)
        header_params = dict(header_params.items())
        if path_params:
            path_params = self.sanitize_for_serialization(path_params)
            for k, v in path_params.items():
                resource_path = resource_path.replace("{%s}" % k, quote(str(v), safe="/"))
        if auth_settings:
            self.update_params_for_auth(header_params, auth_settings)
        if body is not None:
            body = self.sanitize_for_serialization(body)
        url = self.host + resource_path
        # rest.RESTClientObject.request
        if "Content-Type" not in header_params:
            header_params["Content-Type"] = "application/json"
        request_body = json.dumps(body) if body is not None else None
        r = self.pool_manager.request(method, url, body=request_body, preload_content=True,
                                      timeout=None, headers=header_params)
        data = r.data.decode("utf8")
        logger.debug("response body: %s", data)
        if not 200 <= r.status <= 299:
            raise RuntimeError("(%s) %s" % (r.status, data))
        return self.deserialize_data(json.loads(data), response_type)

    def get_user_by_id(self, user_id, **kwargs):
        # UserApi.get_userby_id_with_http_info: parameter checks over locals().
        params = locals()
        for key, val in params["kwargs"].items():
            params[key] = val
        del params["kwargs"]
        if params.get("user_id") is None:
            raise ValueError("Missing the required parameter `user_id`")
        return self.call_api("/user/{userId}", "GET", path_params={"userId": user_id},
                             header_params={"Accept": "application/json"}, auth_settings=["appKeys"],
                             response_type="AddUserRes")

    def add_user(self, body, **kwargs):
        params = locals()
        for key, val in params["kwargs"].items():
            params[key] = val
        del params["kwargs"]
        return self.call_api("/register", "POST",
                             header_params={"Accept": "application/json", "Content-Type": "application/json"},
                             body=body, response_type="AddUserRes")


def percentile(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    rank = p / 100 * (len(s) - 1)
    lo, hi = int(rank), min(int(rank) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (rank - lo)


clients = {}


def run(command):
    origin = command["origin"]
    client = clients.get(origin) or clients.setdefault(origin, ApiClient(origin + "/api/v0-1"))
    op, n, threads = command["op"], command["n"], command["threads"]
    latencies = [0.0] * n
    errors = []
    counter = iter(range(n))
    lock = threading.Lock()

    def one(i):
        if op == "getById":
            return client.get_user_by_id(USER_ID)
        email = "user%d@example.com" % i
        return client.add_user(AddUserReq(application_id=APPLICATION_ID, directory_id=DIRECTORY_ID, email=email,
                                          name="Bench User", password="correct horse battery staple", username=email))

    def worker():
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            t0 = time.perf_counter()
            try:
                one(i)
            except Exception as error:  # noqa: BLE001
                errors.append(repr(error))
            latencies[i] = (time.perf_counter() - t0) * 1000

    cpu0 = time.process_time()
    t0 = time.perf_counter()
    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    return {"cpuUs": cpu / n * 1e6, "wall": wall, "rps": n / wall, "p50ms": percentile(latencies, 50),
            "p99ms": percentile(latencies, 99), "errors": len(errors), "firstError": errors[0] if errors else None}


if __name__ == "__main__":
    sys.stdout.write(json.dumps({"ready": True, "python": sys.version.split()[0], "urllib3": urllib3.__version__}) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        if line.strip():
            sys.stdout.write(json.dumps(run(json.loads(line))) + "\n")
            sys.stdout.flush()
