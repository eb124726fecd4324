-- wrk script for the relay benchmark: one AddToCart per request, each with a new event_id.
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/plain"
wrk.headers["Origin"] = "https://shop.example"
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
local prefix = os.getenv("EVENT_PREFIX") or "bench"
local counter = 0
math.randomseed(os.time())
request = function()
  counter = counter + 1
  local body = '{"pixel_id":"CBENCHPIXEL000000001","event":"AddToCart","event_id":"' .. prefix .. '-' .. counter .. '-' .. math.random(1, 1e9) .. '","page":{"url":"https://shop.example/shop/desk-23"},"user":{"ttp":"ttp-bench","email":"' .. string.rep("a", 64) .. '"},"properties":{"contents":[{"content_id":"23","content_type":"product","content_name":"Desk","price":675,"quantity":1}],"currency":"USD","value":675}}'
  return wrk.format(nil, nil, nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format("JSON{\"requests\":%d,\"non2xx\":%d,\"errors\":%d,\"timeouts\":%d,\"p50\":%.3f,\"p99\":%.3f,\"seconds\":%.3f}\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write, summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.duration / 1e6))
end
