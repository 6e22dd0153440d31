-- wrk: POST a respondent's answers to the public page (/f/{id}) as a browser without
-- JavaScript does, cycling through answers that take each route. Answered with 303.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local bodies = {
  "email=ada%40example.com&name=Ada&company=Acme&size=900&country=US&plan=team&topics=api&website=https%3A%2F%2Facme.example&when=2026-12-01&agree=true",
  "email=bo%40example.com&name=Bo&company=Bo+%26+Co&size=20&country=FR&plan=team&topics=sso&topics=billing&agree=true",
  "email=cy%40example.de&name=Cy&size=40&country=DE&plan=team&agree=true",
  "email=di%40example.com&name=Di&size=2&country=US&plan=solo&agree=true",
  "email=ed%40gmail.com&name=Ed&size=12&country=FR&plan=team&agree=true",
}
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
