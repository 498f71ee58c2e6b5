-- Signs the same provider user in again and again with one id_token
-- (BENCH_ID_TOKEN): the returning-user case. The endpoint accepts a
-- replayed id_token, so one token serves every request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"id_token": "' .. (os.getenv("BENCH_ID_TOKEN") or "") .. '"}'
