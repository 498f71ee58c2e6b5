-- Logs the benchmark user in again and again (each login runs argon2id).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username": "bench", "password": "correct horse battery staple"}'
