-- Each wrk thread owns one session (one refresh token from REFRESH_TOKENS)
-- and follows its rotation chain: every 200 answer hands the next token.
local list = {}
for token in string.gmatch(os.getenv("REFRESH_TOKENS") or "", "%S+") do
  table.insert(list, token)
end
local next_index = 0

function setup(thread)
  next_index = next_index + 1
  thread:set("first", list[next_index])
end

function init(args)
  current = first
end

function request()
  return wrk.format("POST", "/auth/refresh", { ["Authorization"] = "Bearer " .. current }, nil)
end

function response(status, headers, body)
  if status == 200 then
    current = string.match(body, '"refresh_token":"([^"]+)"') or current
  end
end
