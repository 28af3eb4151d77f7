-- The person a token belongs to: separation of duties (the requester of a deployment cannot
-- approve it) is about people, and one person may hold several tokens. Nullable: a token
-- issued without a user acts as itself.
ALTER TABLE auth.tokens ADD COLUMN user_name text CHECK (user_name IS NULL OR length(user_name) BETWEEN 1 AND 200);
