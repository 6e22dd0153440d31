-- wrk: POST a respondent's answers, cycling through answers that take each route.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {
  '{"answers":{"email":"ada@example.com","name":"Ada","company":"Acme","size":900,"country":"US","plan":"team","topics":["api"],"website":"https://acme.example","when":"2026-12-01","agree":true}}',
  '{"answers":{"email":"bo@example.com","name":"Bo","company":"Bo & Co","size":20,"country":"FR","plan":"team","topics":["sso","billing"],"agree":true}}',
  '{"answers":{"email":"cy@example.de","name":"Cy","size":40,"country":"DE","plan":"team","agree":true}}',
  '{"answers":{"email":"di@example.com","name":"Di","size":2,"country":"US","plan":"solo","agree":true}}',
  '{"answers":{"email":"ed@gmail.com","name":"Ed","size":12,"country":"FR","plan":"team","agree":true}}',
}
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
-- wrk prints "Non-2xx or 3xx responses: N" when any answer was not a success; the script
-- that runs this compares the responses stored with the requests made.
