export const faviconSvg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1f6feb"/><path d="M4 11l3-6 2 4 1-2 2 4" stroke="#fff" stroke-width="1.5" fill="none"/></svg>
`;
