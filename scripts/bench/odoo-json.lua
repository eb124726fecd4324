-- wrk script: a trivial JSON-RPC route of Odoo itself, the floor any in-Odoo relay sits on.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"jsonrpc":"2.0","method":"call","params":{}}'
done = function(summary, latency, requests)
  io.write(string.format("JSON{\"requests\":%d,\"non2xx\":%d,\"errors\":%d,\"timeouts\":%d,\"p50\":%.3f,\"p99\":%.3f,\"seconds\":%.3f}\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write, summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.duration / 1e6))
end
