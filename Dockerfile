# One image for the server and the worker; docker-compose picks the command.
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/server/package.json packages/server/
COPY packages/worker/package.json packages/worker/
COPY packages/sdk/package.json packages/sdk/
RUN npm ci --omit=dev --ignore-scripts=false
COPY . .
ENV NODE_ENV=production
EXPOSE 8080
CMD ["node", "packages/server/src/main.ts"]
